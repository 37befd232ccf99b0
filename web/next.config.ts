import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Runtime configuration (SUPABASE_URL, SUPABASE_ANON_KEY, API_URL, MAIL_CATCHER_URL)
  // is read from process.env at request time, never inlined at build time.
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
