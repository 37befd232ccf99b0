"""The local platform: everything production gets from AWS and Supabase,
started for real on loopback so the same code runs on a laptop and in CI."""
