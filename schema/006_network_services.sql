-- The network services the passive capture rules check against (issue 6): the sanctioned
-- DNS resolvers of each network and its registered DHCP servers or relays. JSON arrays of
-- IP addresses in canonical text; '[]' means not configured, and the rules then do not
-- judge DNS or DHCP on that network. Registers applied before this migration get '[]'.
ALTER TABLE networks ADD COLUMN dns_resolvers TEXT NOT NULL DEFAULT '[]'
  CHECK (json_valid(dns_resolvers));
ALTER TABLE networks ADD COLUMN dhcp_servers TEXT NOT NULL DEFAULT '[]'
  CHECK (json_valid(dhcp_servers));
