"use client";

import { createContext, useContext } from "react";

export type ClientConfig = {
  supabaseUrl: string;
  supabaseAnonKey: string;
  apiUrl: string;
  mailCatcherUrl: string | null;
};

const ConfigContext = createContext<ClientConfig | null>(null);

export function ConfigProvider({ value, children }: { value: ClientConfig; children: React.ReactNode }) {
  return <ConfigContext.Provider value={value}>{children}</ConfigContext.Provider>;
}

export function useConfig(): ClientConfig {
  const value = useContext(ConfigContext);
  if (!value) throw new Error("useConfig must be used inside <ConfigProvider>");
  return value;
}
