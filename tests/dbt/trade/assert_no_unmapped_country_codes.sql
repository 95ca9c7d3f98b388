-- Reports every source code that maps to no country or aggregate (rows left out of the facts).
-- Severity warn: the build goes on, and the codes are listed in the run results and in
-- intermediate.int_unmapped_country_codes, never dropped silently.
{{ config(severity='warn') }}

select *
from {{ ref('int_unmapped_country_codes') }}
