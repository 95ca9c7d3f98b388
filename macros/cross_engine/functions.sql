{#-
    Every difference between the engines the project runs on (DuckDB, Apache Spark) lives here, behind
    adapter.dispatch: model files call these macros and never test target.type themselves. Add the
    engine's variant beside the default when a new engine shows a difference (docs/scale-out.md).
-#}

{#- True when the whole of `expr` matches the regular expression `pattern` (a Python string). -#}
{% macro regexp_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'tradeflow')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{#- Spark has no regexp_full_match; rlike finds a match anywhere, so anchor it. Spark string
    literals treat backslash as an escape: double it so the pattern reaches the regex engine intact. -#}
{% macro spark__regexp_full_match(expr, pattern) -%}
    ({{ expr }} rlike '^(?:{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }})$')
{%- endmacro %}

{#- A relation of the integers start .. stop - 1 in one integer column named `column_name`. -#}
{% macro integer_series(start, stop, column_name) -%}
    {{ return(adapter.dispatch('integer_series', 'tradeflow')(start, stop, column_name)) }}
{%- endmacro %}

{#- DuckDB's range() names its column `range`. -#}
{% macro default__integer_series(start, stop, column_name) -%}
    (select cast(range as integer) as {{ column_name }} from range({{ start }}, {{ stop }})) as {{ column_name }}_series
{%- endmacro %}

{#- Spark's range() names its column `id`. -#}
{% macro spark__integer_series(start, stop, column_name) -%}
    (select cast(id as integer) as {{ column_name }} from range({{ start }}, {{ stop }})) as {{ column_name }}_series
{%- endmacro %}

{#- An ISO-8601 timestamp string with an offset (e.g. 2025-03-01T23:00:00+01:00) as the UTC wall-clock
    timestamp without time zone (2025-03-01 22:00:00). -#}
{% macro utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'tradeflow')(expr)) }}
{%- endmacro %}

{% macro default__utc_timestamp(expr) -%}
    cast(timezone('UTC', cast({{ expr }} as timestamptz)) as timestamp)
{%- endmacro %}

{#- Spark: read the string as an instant (timestamp_ltz honours the offset), take its UTC wall clock
    whatever the session time zone, and drop the zone (`timestamp` is timestamp_ntz in profiles.yml). -#}
{% macro spark__utc_timestamp(expr) -%}
    cast(to_utc_timestamp(cast({{ expr }} as timestamp_ltz), current_timezone()) as timestamp_ntz)
{%- endmacro %}

{#- The first days of the months from `start` to `stop` (dates, both first days of a month), one row
    each: a set-returning expression for a select list (`select key, month_series(min(d), max(d)) as d
    ... group by key`). DuckDB: unnest(generate_series()) gives timestamps, cast back to date. -#}
{% macro month_series(start, stop) -%}
    {{ return(adapter.dispatch('month_series', 'tradeflow')(start, stop)) }}
{%- endmacro %}

{% macro default__month_series(start, stop) -%}
    cast(unnest(generate_series({{ start }}, {{ stop }}, interval 1 month)) as date)
{%- endmacro %}

{#- Spark: sequence() of dates by a month interval is an array of dates; explode() is not allowed inside
    another expression (no cast around it), and needs none. -#}
{% macro spark__month_series(start, stop) -%}
    explode(sequence({{ start }}, {{ stop }}, interval 1 month))
{%- endmacro %}

{#- Every column of `relation_alias` but `columns` (a list of qualified or bare names). -#}
{% macro star_except(relation_alias, columns) -%}
    {{ return(adapter.dispatch('star_except', 'tradeflow')(relation_alias, columns)) }}
{%- endmacro %}

{% macro default__star_except(relation_alias, columns) -%}
    {{ relation_alias }}.* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(relation_alias, columns) -%}
    {{ relation_alias }}.* except ({{ columns | join(', ') }})
{%- endmacro %}

{#-
    UNION ALL matching columns by name: `branches` is a list of (cte, model, added_columns): the CTE to
    select from, the name of the model its columns come from (the model an import CTE refs) and the
    columns the CTE adds to that model's. The result has every column of every branch in order of first appearance;
    a branch without a column gives null there (DuckDB's `union all by name`).
-#}
{% macro union_all_by_name(branches) -%}
    {{ return(adapter.dispatch('union_all_by_name', 'tradeflow')(branches)) }}
{%- endmacro %}

{% macro default__union_all_by_name(branches) -%}
    {%- for branch in branches %}
    {% if not loop.first %}union all by name
    {% endif %}select * from {{ branch[0] }}
    {%- endfor %}
{%- endmacro %}

{#- Spark's SQL has no UNION BY NAME: the column lists are read from the models' relations (built before
    this model, and before its unit tests, whose fixtures take the same columns) and every branch selects
    them all in one order, null where it lacks one (Spark widens a null column to the other branches'
    type). At parse time nothing is built: a placeholder. -#}
{% macro spark__union_all_by_name(branches) -%}
    {%- if not execute -%}
    select * from {{ branches[0][0] }}
    {%- else -%}
        {%- set per_branch = [] -%}
        {%- set everyone = [] -%}
        {%- for branch in branches -%}
            {%- set names = [] -%}
            {%- set node = (graph.get('nodes') or {}).get('model.tradeflow.' ~ branch[1]) -%}
            {%- if node -%}
                {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- else -%}
                {#- a unit test has no graph (and its ref() is a fixture): the model's relation by name in
                    the project's schemas (model names are unique across them) -#}
                {%- set found = [] -%}
                {%- for schema in ['marts', 'intermediate', 'staging'] -%}
                    {%- set candidate = adapter.get_relation(none, schema, branch[1]) -%}
                    {%- if candidate is not none -%}{%- do found.append(candidate) -%}{%- endif -%}
                {%- endfor -%}
                {%- set relation = found[0] if found else none -%}
            {%- endif -%}
            {%- if relation is none -%}
                {{ exceptions.raise_compiler_error('union_all_by_name: ' ~ branch[1] ~ ' is not built') }}
            {%- endif -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do names.append(column.name | lower) -%}
            {%- endfor -%}
            {%- for added in branch[2] -%}
                {%- do names.append(added | lower) -%}
            {%- endfor -%}
            {%- do per_branch.append(names) -%}
            {%- for name in names if name not in everyone -%}
                {%- do everyone.append(name) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for branch in branches -%}
            {%- set names = per_branch[loop.index0] %}
    {% if not loop.first %}union all
    {% endif %}select
            {%- for name in everyone %}
        {% if name in names %}{{ name }}{% else %}null as {{ name }}{% endif %}{{ ',' if not loop.last }}
            {%- endfor %}
    from {{ branch[0] }}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- The natural logarithm as DuckDB computes it on doubles: ln(0) is -infinity. Spark's ln(0) is null. -#}
{% macro natural_log(expr) -%}
    {{ return(adapter.dispatch('natural_log', 'tradeflow')(expr)) }}
{%- endmacro %}

{% macro default__natural_log(expr) -%}
    ln({{ expr }})
{%- endmacro %}

{% macro spark__natural_log(expr) -%}
    (case when {{ expr }} = 0 then cast('-Infinity' as double) else ln({{ expr }}) end)
{%- endmacro %}
