//! Callgrind's client requests, so a run under `valgrind --tool=callgrind
//! --instr-atstart=no` counts only the measured runs. Outside valgrind (and on other
//! architectures than x86_64) they do nothing.

/// `VG_USERREQ_TOOL_BASE('C', 'T')`: where callgrind's requests start (callgrind.h).
const BASE: u64 = ((b'C' as u64) << 24) | ((b'T' as u64) << 16);
const ZERO_STATS: u64 = BASE + 1;
const DUMP_STATS_AT: u64 = BASE + 3;
const START_INSTRUMENTATION: u64 = BASE + 4;
const STOP_INSTRUMENTATION: u64 = BASE + 5;

/// What the dump of each measured run is called (its `desc: Trigger:` line), so the
/// script sums those and nothing else.
pub const RUN_DUMP: &std::ffi::CStr = c"measured run";

/// Instrumentation starts here (in every thread of the process).
pub fn start() {
    request(START_INSTRUMENTATION, 0);
}

/// Instrumentation stops here.
pub fn stop() {
    request(STOP_INSTRUMENTATION, 0);
}

/// Every thread's counts so far are dropped.
pub fn zero() {
    request(ZERO_STATS, 0);
}

/// Every thread's counts since the last zero or dump are written out as one dump
/// named `RUN_DUMP`, and zeroed.
pub fn dump_run() {
    dump(RUN_DUMP);
}

/// Every thread's counts since the last zero or dump are written out as one dump named
/// `name`, and zeroed: a case that counts several things names each one's runs
/// `RUN_DUMP` and a word (`scripts/costs.sh` reports each on its own).
pub fn dump(name: &std::ffi::CStr) {
    request(DUMP_STATS_AT, name.as_ptr() as u64);
}

/// valgrind.h's "magic sequence" for amd64: rotations of rdi by 128 bits in all (a no-op
/// on a real CPU) then `xchg rbx, rbx`, with rax pointing at the request and its
/// arguments; valgrind answers in rdx, which outside valgrind keeps its default.
#[cfg(target_arch = "x86_64")]
fn request(code: u64, argument: u64) -> u64 {
    let args: [u64; 6] = [code, argument, 0, 0, 0, 0];
    let mut result: u64 = 0;
    // SAFETY: the sequence reads `args` (valgrind does, through rax) and changes no
    // register besides rdx and the flags: rdi is rotated back to its value.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") result,
            options(nostack),
        );
    }
    result
}

#[cfg(not(target_arch = "x86_64"))]
fn request(_code: u64, _argument: u64) -> u64 {
    0
}
