{#-
    Comext geo codes (and EU/extra-EU aggregates with no ISO3 left out) -> ISO3, from the label seed:
    Comext writes Greece GR and the UK GB, Serbia XS. Every Comext staging model maps codes with it.
-#}
{% macro eurostat_geo_to_iso3() -%}
    select distinct
        geo_code,
        iso3
    from {{ ref('eurostat_geo_labels') }}
    where iso3 is not null
{%- endmacro %}
