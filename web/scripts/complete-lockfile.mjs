// The npm registry reachable here carries only the Linux builds of packages with native
// binaries (@next/swc-*, @tailwindcss/oxide-*, @unrs/resolver-binding-*), so `npm install`
// leaves the other platforms out of package-lock.json and `npm ci` then refuses the lockfile
// ("Missing: ... from lock file"). This adds those optional entries back, with the os/cpu/libc
// that make npm skip them on other platforms, as a lockfile made against the full registry has.
//
// Run after changing dependencies:  npm run lock

import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;
const OSES = ["darwin", "win32", "android", "freebsd", "linux", "openharmony", "sunos", "aix", "netbsd", "openbsd"];
const CPUS = ["arm64", "x64", "ia32", "arm", "loong64", "ppc64", "riscv64", "s390x", "wasm32", "mips64el"];

function platform(name) {
  const base = name.split("/").pop();
  const has = (word) => new RegExp(`(^|-)${word}(-|$)`).test(base);
  const os = OSES.find(has) ?? null;
  const cpu = CPUS.find(has) ?? null;
  const libc = base.includes("musl") ? "musl" : os === "linux" && base.includes("gnu") ? "glibc" : null;
  return { os, cpu, libc };
}

const added = [];
for (const [key, meta] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${key ? `${key}/` : ""}node_modules/${dep}`;
    if (packages[nested] || packages[`node_modules/${dep}`]) continue;
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue;
    const { os, cpu, libc } = platform(dep);
    if (!os && !cpu) continue;
    const entry = { version: spec };
    if (meta.dev) entry.dev = true;
    entry.optional = true;
    if (cpu) entry.cpu = [cpu];
    if (libc) entry.libc = [libc];
    if (os) entry.os = [os];
    packages[`node_modules/${dep}`] = entry;
    added.push(`${dep}@${spec}`);
  }
}

const keys = Object.keys(packages).filter((key) => key !== "").sort();
lock.packages = Object.fromEntries([["", packages[""]], ...keys.map((key) => [key, packages[key]])]);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added.length} platform entries${added.length ? `: ${added.join(", ")}` : ""}`);
