{#-
    How an incremental model replaces the rows of the partitions (or periods) a build redoes, as config
    for the model: `{{ config(materialized='incremental', **replace_changed_rows(column, condition)) }}`.

    `condition` is a Jinja expression (a string) giving the SQL condition of the rows to replace; it is
    rendered when the build runs, not at parse time (it may read int_changed_partitions).
-#}
{% macro replace_changed_rows(column, condition) -%}
    {{ return(adapter.dispatch('replace_changed_rows', 'tradeflow')(column, condition)) }}
{%- endmacro %}

{#- DuckDB: delete the rows of the changed partitions in a pre-hook, then append the new ones. -#}
{% macro default__replace_changed_rows(column, condition) -%}
    {%- set hook = "{% if is_incremental() %}delete from {{ this }} where {{ " ~ condition ~ " }}{% endif %}" -%}
    {{ return({'incremental_strategy': 'append', 'pre_hook': hook}) }}
{%- endmacro %}

{#- Spark: Parquet tables take no DELETE (and merge needs Delta or Iceberg): the table is partitioned
    by `column` and the build overwrites the partitions its new rows fall in (dynamic partition
    overwrite). The new rows are the whole of each changed partition, so the result is the same. -#}
{% macro spark__replace_changed_rows(column, condition) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [column], 'file_format': 'parquet'}) }}
{%- endmacro %}

{#-
    Config for an incremental model that appends this build's rows (column `column` = dbt's
    invocation_id) and then removes every earlier build's: `{{ config(materialized='incremental',
    **keep_only_this_build('build_id')) }}`.
-#}
{% macro keep_only_this_build(column) -%}
    {{ return(adapter.dispatch('keep_only_this_build', 'tradeflow')(column)) }}
{%- endmacro %}

{#- DuckDB: a post-hook deletes the other builds' rows. -#}
{% macro default__keep_only_this_build(column) -%}
    {%- set hook = "delete from {{ this }} where " ~ column ~ " <> '{{ invocation_id }}'" -%}
    {{ return({'incremental_strategy': 'append', 'post_hook': hook}) }}
{%- endmacro %}

{#- Spark: no DELETE on Parquet; the table is partitioned by the build and the post-hook drops the
    partitions of the other builds. -#}
{% macro spark__keep_only_this_build(column) -%}
    {%- set hook = "{{ drop_other_builds(this, '" ~ column ~ "') }}" -%}
    {{ return({'incremental_strategy': 'append', 'partition_by': [column], 'file_format': 'parquet', 'post_hook': hook}) }}
{%- endmacro %}

{#- Drops every partition of `relation` whose `column` is not this invocation's; returns a no-op statement. -#}
{% macro drop_other_builds(relation, column) -%}
    {%- if execute -%}
        {%- for row in run_query('show partitions ' ~ relation) -%}
            {%- set spec = row[0] -%}
            {%- if spec != column ~ '=' ~ invocation_id -%}
                {%- do run_query('alter table ' ~ relation ~ " drop if exists partition (" ~ column ~ " = '" ~ spec.split('=', 1)[1] ~ "')") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
