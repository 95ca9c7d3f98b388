{#-
    What a nightly (incremental) build redoes, and what its tests look at.

    int_partition_periods (models/intermediate/build_scope/) remembers which periods each loaded raw
    partition covered at the last build; int_changed_partitions lists the partitions new or re-fetched
    since then, int_changed_periods the periods they touch, before and after the reload. Incremental
    models rebuild those only; the tests of the large incremental tables check only those periods (a
    duplicate or a bad value that a reload brings in lies in a changed period). A full build
    (`--full-refresh`, a first build, or var test_scope: all) tests every row.
-#}

{#-
    The loaded partitions a build redoes, as a query: every loaded partition on a full build
    (`previous` none); else those that are new or whose fetched_at differs from the one `previous`
    (int_partition_periods as the last build left it) recorded, and every loaded partition when an
    exchange-rate partition (ecb, worldbank) is among them.
-#}
{% macro changed_partitions_query(previous=none) %}
    with

    loaded as (
        select
            partition_id,
            source,
            fetched_at
        from {{ ref('stg_ops__partitions') }}
        where is_loaded
    ),

    {% if previous is none %}
        changed as (
            select partition_id from loaded
        )
    {% else %}
        built as (
            select distinct
                partition_id,
                fetched_at
            from {{ previous }}
            where is_built
        ),

        fetched as (
            select
                loaded.partition_id,
                loaded.source,
                built.partition_id is null or coalesce(built.fetched_at <> loaded.fetched_at, true) as is_new
            from loaded
            left join built
                on loaded.partition_id = built.partition_id
        ),

        rates_changed as (
            select count(*) > 0 as has_changed
            from fetched
            where is_new and source in ('ecb', 'worldbank')
        ),

        changed as (
            select fetched.partition_id
            from fetched
            cross join rates_changed
            where fetched.is_new or rates_changed.has_changed
        )
    {% endif %}

    select partition_id from changed
{% endmacro %}

{#- The ids changed_partitions_query gives, read at run time (empty while parsing). -#}
{% macro changed_partitions_at_compile_time(previous=none) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query('select partition_id from (' ~ changed_partitions_query(previous) ~ ') order by 1') -%}
    {{ return(rows.columns[0].values() | list) }}
{% endmacro %}

{#- `column in ('id', ...)` with `ids` as constants; `false` when there are none. -#}
{% macro in_list(column, ids) %}
    {%- if ids | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in (
        {%- for id in ids -%}
            '{{ id | replace("'", "''") }}'{{ ", " if not loop.last }}
        {%- endfor -%}
        )
    {%- endif -%}
{% endmacro %}

{#- The ids of int_changed_partitions as a list, read at run time (empty while parsing). -#}
{% macro changed_partition_ids(relation=none) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set relation = relation if relation is not none else ref('int_changed_partitions') -%}
    {%- set rows = run_query('select partition_id from ' ~ relation ~ ' order by 1') -%}
    {{ return(rows.columns[0].values() | list) }}
{% endmacro %}

{#-
    `column in ('id', ...)` with the changed partitions as constants: DuckDB pushes a constant filter
    through the staging views, the union and its group by down to the raw table scans, which a
    semi-join on int_changed_partitions does not (measured in docs/performance.md).
-#}
{% macro in_changed_partitions(column, relation=none) %}
    {{- in_list(column, changed_partition_ids(relation)) -}}
{% endmacro %}

{#-
    int_changed_periods when this build's tests check only the changed periods (an incremental build),
    else none: on `--full-refresh`, with var test_scope = 'all', or before the table exists.
-#}
{% macro changed_periods_for_tests() %}
    {%- if flags.FULL_REFRESH or var('test_scope') == 'all' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='intermediate', identifier='int_changed_periods')) }}
{% endmacro %}

{#- A test's filter: `column` in a changed period on an incremental build, else every row. -#}
{% macro changed_periods_condition(column='period_start') %}
    {%- set periods = changed_periods_for_tests() -%}
    {%- if periods is not none -%}
        {{ column }} in (select period_start from {{ periods }})
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}

{#-
    dbt's `where` test config with two placeholders, replaced when the test runs:
      __changed_periods__     changed_periods_condition('period_start'): the rows of the periods the
                              build redid (the trade marts: a duplicate across partitions shows there)
      __changed_partitions__  `partition_id in (...)`, the changed partitions as constants (the trade
                              staging views: DuckDB filters the raw table before the view's expressions)
    Each becomes `true` on a full build or for a relation without that column (e.g. a source). Other
    `where` configs work as in dbt.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set placeholders = {'__changed_periods__': 'period_start', '__changed_partitions__': 'partition_id'} -%}
        {%- set scoped = namespace(where=where) -%}
        {%- for placeholder, column in placeholders.items() if placeholder in where -%}
            {%- set condition = 'true' -%}
            {%- if changed_periods_for_tests() is not none -%}
                {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
                {%- if column in names and column == 'period_start' -%}
                    {%- set condition = changed_periods_condition('period_start') -%}
                {%- elif column in names -%}
                    {%- set changed = adapter.get_relation(
                        database=target.database, schema='intermediate', identifier='int_changed_partitions'
                    ) -%}
                    {%- set condition = in_changed_partitions('partition_id', changed) -%}
                {%- endif -%}
            {%- endif -%}
            {%- set scoped.where = scoped.where | replace(placeholder, condition) -%}
        {%- endfor -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ scoped.where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
