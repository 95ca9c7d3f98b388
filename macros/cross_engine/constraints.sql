{#-
    Enforced contracts on Spark Parquet tables. dbt-spark declares not_null constraints with ALTER TABLE
    only on Delta tables; Parquet tables take no constraint at all, so a null would pass silently where
    DuckDB's NOT NULL fails the build. Here the build checks them after writing the table instead: a
    not_null column holding a null fails the model, naming the column (as DuckDB's constraint would).
    Overrides dbt-spark's spark__persist_constraints (root project macros come first).
-#}
{% macro spark__persist_constraints(relation, model) %}
    {%- set contract_config = config.get('contract') -%}
    {%- if contract_config.enforced -%}
        {%- set not_null = [] -%}
        {%- for column_name, column in model.columns.items() -%}
            {%- for constraint in column.get('constraints', []) if constraint.type == 'not_null' -%}
                {%- do not_null.append(column_name) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if not_null -%}
            {%- set sums = [] -%}
            {%- for column_name in not_null -%}
                {%- do sums.append('sum(case when ' ~ adapter.quote(column_name) ~ ' is null then 1 else 0 end)') -%}
            {%- endfor -%}
            {%- set counts = run_query('select ' ~ sums | join(', ') ~ ' from ' ~ relation) -%}
            {%- set failing = [] -%}
            {%- for column_name in not_null -%}
                {%- set n = counts.rows[0][loop.index0] -%}
                {%- if n is not none and n > 0 -%}
                    {%- do failing.append(column_name ~ ' (' ~ n ~ ' nulls)') -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if failing -%}
                {{ exceptions.raise_compiler_error('contract of ' ~ relation ~ ': not_null violated in ' ~ failing | join(', ')) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
