// Rebuilding the elfcorehdr of a loaded image and writing it over the old one, as the kernel's
// hot-plug path does: the new header is built apart (from the previous build when only a few
// ranges changed, core/build/elfcorehdr-rebuilder.ts); if it does not fit the segment it is
// refused and the old header stays byte for byte; otherwise it is copied in by
// segment-install.ts, kexec_crash_image NULL exactly while the bytes are copied.

import { ElfcorehdrRebuilder } from '../build/elfcorehdr-rebuilder.js';
import { CrashplugError } from '../base/errors.js';
import type { ElfcorehdrUpdate, ElfcorehdrUpdateMessages, ElfcorehdrUpdateOptions } from '../hotplug/context.js';
import type { KexecImage } from './image.js';
import type { KexecState } from './state.js';
import type { ArchPlugin } from '../port/plugin.js';
import { installSegmentBytes } from './segment-install.js';
import type { SystemDescription } from '../system/system.js';

/**
 * Core's wording of a failed update. The kernel has none of its own (each arch prints its own), so a
 * port says its arch's in `ArchIdentity.updateMessages`, and a hook may still override per update.
 */
export const DEFAULT_UPDATE_MESSAGES: ElfcorehdrUpdateMessages = {
  buildFailed: 'cannot build a new elfcorehdr',
  tooLarge: (elfsz, memsz) => `new elfcorehdr of ${elfsz} bytes does not fit its segment of ${memsz}`,
};

/** Faults a test injects into one update. */
export interface InstallFaults {
  /** The rebuild fails, as prepare_elf_headers does on -ENOMEM. */
  readonly buildThrows?: boolean | undefined;
  /** The segment is taken to hold only this many bytes. */
  readonly memszLimit?: number | undefined;
}

export class ElfcorehdrInstaller {
  /** Keeps the previous build, so that a rebuild writes only the program headers that changed. */
  readonly rebuilder = new ElfcorehdrRebuilder();

  constructor(
    readonly kexec: KexecState,
    readonly plugin: ArchPlugin,
    readonly image: KexecImage,
    readonly index: number,
  ) {
    const seg = image.segments[index];
    if (seg === undefined) throw new Error(`no segment ${index} to install an elfcorehdr into`);
  }

  /** Build `system`'s header: exactly its `elfsz` bytes, valid until the next build. */
  build(system: SystemDescription, options: Pick<ElfcorehdrUpdateOptions, 'transformMemory' | 'ramLessHoles'> = {}): { bytes: Uint8Array; elfsz: number } {
    const base = this.plugin;
    const transform = options.transformMemory;
    const plugin: ArchPlugin = transform === undefined ? base : { ...base, crashMemory: (s) => transform(base.crashMemory(s)) };
    const built = this.rebuilder.build(system, plugin, base, { ramLessHoles: options.ramLessHoles });
    return { bytes: built.bytes, elfsz: built.layout.size };
  }

  /**
   * The whole update; never throws for what the kernel survives (a failed build, a header too
   * large), returning why instead, with the kernel's message printed.
   */
  update(system: SystemDescription, options: ElfcorehdrUpdateOptions = {}, faults: InstallFaults = {}): ElfcorehdrUpdate {
    let built: { bytes: Uint8Array; elfsz: number };
    try {
      if (faults.buildThrows === true) throw new CrashplugError('E_RANGES_FULL', 'injected: prepare_elf_headers failed with -ENOMEM');
      built = this.build(system, options);
    } catch (err) {
      if (!CrashplugError.is(err)) throw err;
      const messages = this.#messages(options);
      this.kexec.log.printk('err', `crash hp: ${messages.buildFailed}`);
      return { ok: false, reason: 'build-failed', message: `${messages.buildFailed}: ${err.message}` };
    }
    const seg = this.image.segments[this.index]!;
    const memsz = faults.memszLimit ?? seg.memsz;
    if (built.elfsz > memsz) {
      const message = this.#messages(options).tooLarge(built.elfsz, memsz);
      this.kexec.log.printk('err', `crash hp: ${message}`);
      return { ok: false, reason: 'too-large', message };
    }
    const unarmedNs = this.copy(built.bytes, built.elfsz);
    return { ok: true, elfsz: built.elfsz, unarmedNs };
  }

  /** The copy: the crash image pointer is NULL for exactly this long. */
  /** The wording of a failed update: merged only when one fails, not on every install. */
  #messages(options: ElfcorehdrUpdateOptions): ElfcorehdrUpdateMessages {
    return { ...DEFAULT_UPDATE_MESSAGES, ...this.plugin.updateMessages, ...options.messages };
  }

  copy(bytes: Uint8Array, elfsz: number): bigint {
    // The rebuilder's view is already elfsz long: no second view of it per install.
    return installSegmentBytes(this.kexec, this.image.segments[this.index]!, bytes.length === elfsz ? bytes : bytes.subarray(0, elfsz));
  }
}
