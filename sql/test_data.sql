-- Sample rows for dev and local environments (schema_test_data=true). Safe to load twice.
INSERT INTO proofs (proof_id, image_hash, manifest, signer, s3_key, created_at)
VALUES
    ('00000000-0000-4000-8000-000000000001', repeat('a', 64), '{"claim": "sample one"}', 'credlink-test-signer',
     'proofs/00000000-0000-4000-8000-000000000001.json', now() - interval '2 days'),
    ('00000000-0000-4000-8000-000000000002', repeat('b', 64), '{"claim": "sample two"}', 'credlink-test-signer',
     'proofs/00000000-0000-4000-8000-000000000002.json', now() - interval '1 day')
ON CONFLICT (proof_id) DO NOTHING;

INSERT INTO signing_operations (proof_id, image_hash, status, duration_ms)
SELECT '00000000-0000-4000-8000-000000000001', repeat('a', 64), 'succeeded', 120
WHERE NOT EXISTS (SELECT 1 FROM signing_operations WHERE proof_id = '00000000-0000-4000-8000-000000000001');
