"""inferstack guardrails: the security and cost CrossGuard packs and the rules they share.

`policies.rules` holds one policy per module; `policies.registry` lists them with their metadata and
per-environment defaults; `policies.config` turns an environment into the pack configuration that
`pulumi preview --policy-pack-config` reads. The pack directories `policies/security` and
`policies/cost` only build `PolicyPack(...)` from the registry.
"""
