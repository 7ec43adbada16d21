// crashplug-port-loongarch64: the module crashplug loads, as the default export and as
// `portModule`, and the port's facts for anyone who wants to check against them.

import 'reflect-metadata';
import { loongarchModule } from './loongarch-module.js';

export default loongarchModule;
export { loongarchModule as portModule };
export { type LoongarchProfile, loongarchProfile } from './loongarch-profile.js';
export {
  EM_LOONGARCH,
  LOONGARCH64_HOST,
  LOONGARCH64_NOTE_SIZE,
  LOONGARCH_DMW_PABITS,
  LOONGARCH_ELFCOREHDR_ALIGN,
  LOONGARCH_EXTRA_SLOTS,
  LOONGARCH_PAGE_OFFSET,
  LOONGARCH_PAGE_SIZE,
  LOONGARCH_VMLINUX_LOAD_ADDRESS,
  Loongarch64Port,
  loongarchPhysAddr,
} from './loongarch-port.js';
