-- Daily statistics per operation kind: counts, success rate, average and p95 duration.

CREATE VIEW operation_statistics AS
WITH operations AS (
    SELECT 'signing'::text AS operation, created_at, status = 'succeeded' AS succeeded, duration_ms
    FROM signing_operations
    UNION ALL
    SELECT 'verification'::text, created_at, status = 'verified', duration_ms
    FROM verification_operations
)
SELECT
    operation,
    date_trunc('day', created_at)::date                                  AS day,
    count(*)                                                             AS total,
    count(*) FILTER (WHERE succeeded)                                    AS succeeded,
    count(*) FILTER (WHERE NOT succeeded)                                AS failed,
    round(100.0 * count(*) FILTER (WHERE succeeded) / count(*), 2)       AS success_rate_pct,
    round(avg(duration_ms)::numeric, 1)                                  AS avg_duration_ms,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)            AS p95_duration_ms
FROM operations
GROUP BY operation, date_trunc('day', created_at)::date;

COMMENT ON VIEW operation_statistics IS 'Per day and operation kind: volume, success rate, latency';
