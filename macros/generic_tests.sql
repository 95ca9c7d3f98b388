{#- Small generic tests written here because dbt deps (dbt_utils) cannot reach the package hub. -#}

{% test matches_regex(model, column_name, pattern) %}
    select {{ column_name }} as offending_value
    from {{ model }}
    where {{ column_name }} is not null
        and not {{ regexp_full_match(column_name, pattern) }}
{% endtest %}

{% test unique_combination(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}

{% test row_count_between(model, min_rows, max_rows) %}
    select n_rows
    from (select count(*) as n_rows from {{ model }}) as counted
    where n_rows < {{ min_rows }} or n_rows > {{ max_rows }}
{% endtest %}
