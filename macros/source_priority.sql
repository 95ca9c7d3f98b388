{#-
    The rank of a source in var('source_priority') (1 = trusted first), 99 for a source not listed: the
    order in which one side of a flow is taken when several sources report it.

        {{ source_rank('facts.source') }}  ->  case facts.source when 'eurostat_comext' then 1 ... else 99 end
-#}
{% macro source_rank(column) -%}
    case {{ column }}
        {%- for source_name in var('source_priority') %}
            when '{{ source_name }}' then {{ loop.index }}
        {%- endfor %}
        else 99
    end
{%- endmacro %}
