-- Every verification that found a proof counts as an access of that proof.

CREATE FUNCTION track_proof_access() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.proof_id IS NOT NULL AND NEW.status = 'verified' THEN
        UPDATE proofs
           SET access_count = access_count + 1,
               last_accessed_at = NEW.created_at
         WHERE proof_id = NEW.proof_id;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER verification_operations_track_access
AFTER INSERT ON verification_operations
FOR EACH ROW EXECUTE FUNCTION track_proof_access();
