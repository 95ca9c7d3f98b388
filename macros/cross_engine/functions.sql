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
