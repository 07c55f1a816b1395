//! Process-wide settings of a run on a network: the memory allocator and who owns the cores.
//!
//! * [`tune_allocator`]: glibc's malloc hands every block above its mmap threshold (128 KiB,
//!   raised dynamically up to 32 MiB) straight back to the kernel when it is freed, and trims
//!   the top of the heap above 128 KiB. libtorch frees its activation buffers (tens to hundreds
//!   of MB) after every batch, so each batch mapped them again and faulted every page back in:
//!   on a 2-core VM half of a map's CPU time was the kernel's (BENCHMARKS.md, "Allocator").
//!   Raising both thresholds keeps that memory in the process; the peak stays what the largest
//!   batch needs.
//! * [`ThreadPlan`]: libtorch's intra-op threads run the network on the calling thread (plus
//!   `torch − 1` workers); rayon's global pool renders on the other cores. The two never ask for
//!   more threads than the machine has.

use std::sync::OnceLock;

/// What [`tune_allocator`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocatorTuning {
    /// glibc accepted both thresholds.
    Tuned,
    /// Not glibc (another libc or OS): nothing to do.
    NotGlibc,
    /// glibc refused a setting (the name of the `mallopt` parameter).
    Refused(&'static str),
}

/// The mmap and trim thresholds set by [`tune_allocator`]: the largest `int` (about 2 GiB), so
/// that no batch buffer is mapped on its own and no freed memory is returned at once.
pub const MALLOC_THRESHOLD: i32 = i32::MAX;

/// Keeps large freed blocks in the process instead of returning them to the kernel (glibc's
/// `mallopt(M_MMAP_THRESHOLD)` and `mallopt(M_TRIM_THRESHOLD)`). Idempotent, process-wide; the
/// command line calls it first thing.
pub fn tune_allocator() -> AllocatorTuning {
    static DONE: OnceLock<AllocatorTuning> = OnceLock::new();
    *DONE.get_or_init(set_thresholds)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_thresholds() -> AllocatorTuning {
    // SAFETY: mallopt only changes malloc's parameters; both are valid for any value ≥ 0.
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, MALLOC_THRESHOLD) != 1 {
            return AllocatorTuning::Refused("M_MMAP_THRESHOLD");
        }
        if libc::mallopt(libc::M_TRIM_THRESHOLD, MALLOC_THRESHOLD) != 1 {
            return AllocatorTuning::Refused("M_TRIM_THRESHOLD");
        }
    }
    AllocatorTuning::Tuned
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_thresholds() -> AllocatorTuning {
    AllocatorTuning::NotGlibc
}

/// How many threads libtorch and the renderer get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadPlan {
    /// libtorch's intra-op threads (`tch::set_num_threads`), the calling thread included.
    pub torch: usize,
    /// rayon's global pool, which renders.
    pub render: usize,
}

/// Why a thread plan was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThreadPlanError {
    #[error("{torch} libtorch threads + {render} render threads: each must be ≥ 1")]
    Zero { torch: usize, render: usize },
    #[error(
        "{torch} libtorch threads + {render} render threads exceed the machine's {cores} cores"
    )]
    TooMany {
        torch: usize,
        render: usize,
        cores: usize,
    },
}

/// The cores this process may use (`std::thread::available_parallelism`, 1 if unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl ThreadPlan {
    /// The plan for `cores` cores and a network on the CPU (`gpu = false`) or on a GPU.
    ///
    /// On the CPU the network costs about 10× a render (Lite0: 19 ms against 1.5 ms at 224²),
    /// so it gets three quarters of the cores and rendering the rest (at least one each; on 2
    /// cores one and one, the render of the next chunk overlapping the network). On a GPU the
    /// CPU only renders: one libtorch thread, the other cores render.
    pub fn for_machine(cores: usize, gpu: bool) -> ThreadPlan {
        let cores = cores.max(2);
        if gpu {
            ThreadPlan {
                torch: 1,
                render: cores - 1,
            }
        } else {
            let render = (cores / 4).max(1);
            ThreadPlan {
                torch: cores - render,
                render,
            }
        }
    }

    /// A plan with stated counts, refused when it would oversubscribe `cores`.
    pub fn new(torch: usize, render: usize, cores: usize) -> Result<ThreadPlan, ThreadPlanError> {
        if torch == 0 || render == 0 {
            return Err(ThreadPlanError::Zero { torch, render });
        }
        if torch + render > cores.max(2) {
            return Err(ThreadPlanError::TooMany {
                torch,
                render,
                cores,
            });
        }
        Ok(ThreadPlan { torch, render })
    }

    /// Applies the plan: libtorch's intra-op threads and rayon's global pool. rayon's pool can
    /// be built once per process; a later call changes libtorch's count only and says whether
    /// the pool has the plan's size.
    pub fn install(&self) -> bool {
        #[cfg(feature = "torch")]
        tch::set_num_threads(self.torch as i32);
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(self.render)
            .thread_name(|i| format!("semrob-render-{i}"))
            .build_global();
        rayon::current_num_threads() == self.render
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_never_oversubscribe() {
        for cores in 1..=64 {
            for gpu in [false, true] {
                let p = ThreadPlan::for_machine(cores, gpu);
                assert!(p.torch >= 1 && p.render >= 1, "{cores} {gpu}: {p:?}");
                assert!(p.torch + p.render <= cores.max(2), "{cores} {gpu}: {p:?}");
            }
        }
        assert_eq!(
            ThreadPlan::for_machine(2, false),
            ThreadPlan {
                torch: 1,
                render: 1
            }
        );
        assert_eq!(
            ThreadPlan::for_machine(16, false),
            ThreadPlan {
                torch: 12,
                render: 4
            }
        );
        assert_eq!(
            ThreadPlan::new(3, 2, 4).unwrap_err().to_string(),
            "3 libtorch threads + 2 render threads exceed the machine's 4 cores"
        );
        assert_eq!(
            ThreadPlan::new(0, 1, 4),
            Err(ThreadPlanError::Zero {
                torch: 0,
                render: 1
            })
        );
        assert_eq!(ThreadPlan::new(3, 1, 4).unwrap().torch, 3);
    }
}
