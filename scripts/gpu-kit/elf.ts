/**
 * What an x86-64 ELF shared object or executable needs from the system: the libraries named in its
 * dynamic section (DT_NEEDED) and the symbol versions it requires of them (.gnu.version_r:
 * GLIBC_2.34, GLIBCXX_3.4.30, CXXABI_1.3.9, …). Read here rather than with readelf/objdump so
 * building the GPU kit needs no binutils.
 */
import { readFileSync } from 'node:fs';

export interface VersionNeeds {
  /** Highest version needed per prefix (GLIBC, GLIBCXX, CXXABI, GCC), e.g. { GLIBC: '2.34' }. */
  max: Record<string, string>;
  /** Libraries named as NEEDED in the dynamic section. */
  needed: string[];
}

const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NEEDED = 1;

export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The highest of dotted versions ('0' for none). */
export const maxVersion = (versions: (string | undefined)[]): string =>
  versions
    .filter((v): v is string => v !== undefined)
    .reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), '0');

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

export function elfVersionNeeds(bytes: Buffer, what = 'file'): VersionNeeds {
  if (bytes.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${what} is not an ELF file`);
  if (bytes[4] !== 2 || bytes[5] !== 1) {
    throw new Error(`${what} is not a 64-bit little-endian ELF file (x86-64)`);
  }
  const shoff = Number(bytes.readBigUInt64LE(0x28));
  const shentsize = bytes.readUInt16LE(0x3a);
  const shnum = bytes.readUInt16LE(0x3c);
  const sections: Section[] = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return {
      type: bytes.readUInt32LE(at + 4),
      offset: Number(bytes.readBigUInt64LE(at + 0x18)),
      size: Number(bytes.readBigUInt64LE(at + 0x20)),
      link: bytes.readUInt32LE(at + 0x28),
      info: bytes.readUInt32LE(at + 0x2c),
    };
  });
  const text = (table: Section, offset: number): string => {
    const start = table.offset + offset;
    return bytes.toString('latin1', start, bytes.indexOf(0, start));
  };

  const needed: string[] = [];
  for (const dynamic of sections.filter((s) => s.type === SHT_DYNAMIC)) {
    const strings = sections[dynamic.link];
    for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
      const tag = bytes.readBigInt64LE(at);
      if (tag === 0n) break;
      if (tag === BigInt(DT_NEEDED))
        needed.push(text(strings, Number(bytes.readBigUInt64LE(at + 8))));
    }
  }

  const max: Record<string, string> = {};
  for (const verneed of sections.filter((s) => s.type === SHT_GNU_VERNEED)) {
    const strings = sections[verneed.link];
    let entry = verneed.offset;
    for (let n = 0; n < verneed.info; n++) {
      const count = bytes.readUInt16LE(entry + 2);
      let aux = entry + bytes.readUInt32LE(entry + 8);
      for (let k = 0; k < count; k++) {
        const match = /^([A-Z]+)_([0-9][0-9.]*)$/.exec(text(strings, bytes.readUInt32LE(aux + 8)));
        if (match) {
          const [, prefix, version] = match;
          if (!max[prefix] || compareVersions(version, max[prefix]) > 0) max[prefix] = version;
        }
        aux += bytes.readUInt32LE(aux + 12);
      }
      const next = bytes.readUInt32LE(entry + 12);
      if (next === 0) break;
      entry += next;
    }
  }
  return { max, needed };
}

export const versionNeeds = (path: string): VersionNeeds =>
  elfVersionNeeds(readFileSync(path), path);
