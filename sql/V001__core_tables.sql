-- Core tables of the CredLink signing service: proofs and the operations on them.
-- Migrations run inside one transaction each; they must not contain BEGIN/COMMIT.

CREATE TABLE proofs (
    proof_id          uuid PRIMARY KEY,
    image_hash        char(64)     NOT NULL CHECK (image_hash ~ '^[0-9a-f]{64}$'),
    manifest          jsonb        NOT NULL,
    signer            text         NOT NULL,
    s3_key            text         NOT NULL UNIQUE,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    expires_at        timestamptz,
    access_count      bigint       NOT NULL DEFAULT 0 CHECK (access_count >= 0),
    last_accessed_at  timestamptz
);

CREATE TABLE signing_operations (
    operation_id   bigserial PRIMARY KEY,
    proof_id       uuid        REFERENCES proofs (proof_id) ON DELETE SET NULL,
    image_hash     char(64)    NOT NULL,
    status         text        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    duration_ms    integer     CHECK (duration_ms >= 0),
    error_message  text,
    client_ip      inet,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE verification_operations (
    operation_id   bigserial PRIMARY KEY,
    proof_id       uuid        REFERENCES proofs (proof_id) ON DELETE SET NULL,
    image_hash     char(64)    NOT NULL,
    status         text        NOT NULL CHECK (status IN ('verified', 'tampered', 'not_found', 'failed')),
    duration_ms    integer     CHECK (duration_ms >= 0),
    error_message  text,
    client_ip      inet,
    created_at     timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE proofs IS 'C2PA-style provenance proofs; the manifest body is in S3 under s3_key';
COMMENT ON COLUMN proofs.access_count IS 'Maintained by trigger: verifications that found this proof';
