{#-
    Sums and means of money that give the same result on every build.

    DuckDB aggregates in parallel, so summing doubles adds them in an order that changes from run to
    run and the last bits of the result with it: two builds of the same data would differ in the 15th
    digit, and an incremental build would not equal a full refresh row for row. Summing in DECIMAL(38, 6)
    is exact (to a millionth of the unit), so the result does not depend on the order.

        {{ exact_sum('flows.value_eur') }}   ->  cast(sum(cast(flows.value_eur as decimal(38, 6))) as double)
-#}
{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 6))) as double)
{%- endmacro %}

{% macro exact_avg(expression) -%}
    {{ return(adapter.dispatch('exact_avg', 'tradeflow')(expression)) }}
{%- endmacro %}

{#- DuckDB's avg() of a decimal is a double: the exact sum divided by the count. -#}
{% macro default__exact_avg(expression) -%}
    cast(avg(cast({{ expression }} as decimal(38, 6))) as double)
{%- endmacro %}

{#- Spark's avg() of a decimal(38, 6) is a decimal(38, 10): rounded to 10 decimals (a rate such as 1.0794714285714286
    becomes 1.0794714286, which moves a converted amount by cents). Divide the exact sum as a double, as
    DuckDB does. -#}
{% macro spark__exact_avg(expression) -%}
    (cast(sum(cast({{ expression }} as decimal(38, 6))) as double) / count({{ expression }}))
{%- endmacro %}
