-- One row per raw partition in the extract ledger (ops.partitions), with the id the trade models carry.
with

source_partitions as (
    select * from {{ source('ops', 'partitions') }}
),

renamed as (
    select
        source || '__' || dataset || '/' || partition_key as partition_id,
        source,
        dataset,
        partition_key,
        status,
        status = 'loaded' as is_loaded,
        fetched_at,
        loaded_at,
        row_count,
        sha256
    from source_partitions
)

select * from renamed
