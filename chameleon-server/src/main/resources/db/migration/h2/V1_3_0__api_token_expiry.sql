-- Operators' API tokens may expire (chameleon server token create --expires-in, POST /api/v1/tokens
-- expiresInSeconds); NULL: the token never expires (every token made before this column came).
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP WITH TIME ZONE;
