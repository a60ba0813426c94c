-- Indexes for the service's query patterns.

-- Verification looks proofs up by image hash (several proofs may share one image).
CREATE INDEX proofs_image_hash_idx ON proofs (image_hash);
-- Housekeeping: proofs about to expire.
CREATE INDEX proofs_expires_at_idx ON proofs (expires_at) WHERE expires_at IS NOT NULL;

-- Dashboards: recent operations, and recent failures.
CREATE INDEX signing_operations_created_at_idx ON signing_operations (created_at DESC);
CREATE INDEX signing_operations_status_created_at_idx ON signing_operations (status, created_at DESC);
CREATE INDEX signing_operations_proof_id_idx ON signing_operations (proof_id);

CREATE INDEX verification_operations_created_at_idx ON verification_operations (created_at DESC);
CREATE INDEX verification_operations_status_created_at_idx ON verification_operations (status, created_at DESC);
CREATE INDEX verification_operations_proof_id_idx ON verification_operations (proof_id);
