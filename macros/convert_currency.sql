{#-
    Currency conversion with a USD-per-EUR rate (the ECB reference rate, `usd_per_eur` in
    int_exchange_rates: US dollars for 1 euro).

        {{ eur_to_usd('facts.value_eur', 'rates.usd_per_eur') }}   ->  (facts.value_eur * rates.usd_per_eur)
        {{ usd_to_eur('facts.value_usd', 'rates.usd_per_eur') }}   ->  (facts.value_usd / rates.usd_per_eur)

    Both arguments are SQL expressions. A null rate gives a null result: join the rates with a left join
    and test that every converted value found its rate (the investment mart's `usd_per_eur` tests), never
    coalesce the rate. usd_to_eur guards a zero rate with nullif (the ECB never publishes one).
-#}
{% macro eur_to_usd(eur_amount, usd_per_eur) -%}
    ({{ eur_amount }} * {{ usd_per_eur }})
{%- endmacro %}

{% macro usd_to_eur(usd_amount, usd_per_eur) -%}
    ({{ usd_amount }} / nullif({{ usd_per_eur }}, 0))
{%- endmacro %}
