import "@fontsource-variable/inter";
import "./globals.css";

import type { Metadata, Viewport } from "next";

import { APP_NAME } from "@/lib/brand";
import { ConfigProvider } from "@/lib/config-context";
import { getRuntimeConfig } from "@/lib/runtime-config";

export const metadata: Metadata = {
  title: { default: APP_NAME, template: `%s · ${APP_NAME}` },
  description: "AI call center: department workspaces, knowledge bases, voice agents and human handoff.",
  icons: { icon: "/icon.svg" },
};

export const viewport: Viewport = { themeColor: "#4f46e5", width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Read at request time (the launcher sets these when it starts `next start`), never at build time.
  const config = await getRuntimeConfig();
  return (
    <html lang="en">
      <body className="min-h-dvh font-sans">
        <ConfigProvider value={config}>{children}</ConfigProvider>
      </body>
    </html>
  );
}
