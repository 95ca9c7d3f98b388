{#-
    source_or_empty(source_name, table_name, columns)

    The source relation when the table exists in the warehouse, otherwise an empty relation with the
    given columns and types, so that a staging view over a source that is not loaded everywhere (a
    disabled extractor) still builds and answers queries with no rows instead of failing at query time.

    columns: a list of [name, type] pairs, e.g. [['geo', 'varchar'], ['year', 'integer']]; list every
    column the model reads. Use it only for sources that can legitimately be absent (eurostat_fdi).

    Example:
        select * from {{ source_or_empty('eurostat_fdi', 'positions', [['geo', 'varchar'], ['value', 'double']]) }} as positions

    `source()` is called in every case, so the model keeps its lineage to the source.
-#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set source_relation = source(source_name, table_name) -%}
    {%- set existing = none -%}
    {%- if execute -%}
        {%- set existing = adapter.get_relation(
            database=source_relation.database,
            schema=source_relation.schema,
            identifier=source_relation.identifier,
        ) -%}
    {%- endif -%}
    {%- if existing is not none -%}
        {{ source_relation }}
    {%- else -%}
        (
            select
            {%- for column in columns %}
                cast(null as {{ column[1] }}) as {{ column[0] }}{{ "," if not loop.last }}
            {%- endfor %}
            where 1 = 0
        )
    {%- endif -%}
{%- endmacro %}
