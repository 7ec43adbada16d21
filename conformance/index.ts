// The conformance kit, for this repository's ports and for ports outside it: runConformance checks a
// port's ContainerModule on a set of machines and returns the violations as data; describeConformance
// runs it as vitest cases. Nothing here names an architecture: what a port must do comes from its spec.

export { describeConformance, type DescribeOptions } from './describe.js';
export { ElfTools } from './elf-tools.js';
export { declaredExclusions, reservationsOf } from './memory-checks.js';
export { minus, rangesText, rangeText } from './ranges.js';
export { formatReport, runConformance } from './run.js';
export { cycleCpu, growMemory, hotAddCpu, STOCK_SCENARIOS } from './scenarios.js';
export {
  type ConformanceReport,
  type ConformanceSpec,
  type HotplugScenario,
  INVARIANT_TEXT,
  type Invariant,
  INVARIANTS,
  type KeptReservation,
  type LoadOrder,
  type Machines,
  type Violation,
  violation,
} from './spec.js';
