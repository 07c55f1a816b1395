//! What every fuzz target shares: an allocator that aborts when the live heap passes
//! [`semrob::fuzzing::FUZZ_MEMORY_LIMIT`] (an over-allocation becomes a crash AFL keeps,
//! whatever the machine's memory), and the macro that writes a target's `main`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

pub use afl;
pub use semrob;

/// The system allocator, counting live bytes and aborting past the limit.
pub struct Limited;

static LIVE: AtomicUsize = AtomicUsize::new(0);

fn grow(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    if live > semrob::fuzzing::FUZZ_MEMORY_LIMIT {
        // Inside the allocator nothing may allocate (not even a message), so abort plainly:
        // AFL records the signal as a crash, and `afl-tmin` can minimise the input.
        std::process::abort();
    }
}

unsafe impl GlobalAlloc for Limited {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grow(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

/// `target!(name)`: a fuzz target's `main`, running `semrob::fuzzing::name` on each input
/// with the [`Limited`] allocator.
#[macro_export]
macro_rules! target {
    ($name:ident) => {
        #[global_allocator]
        static ALLOCATOR: $crate::Limited = $crate::Limited;

        fn main() {
            $crate::afl::fuzz!(|data: &[u8]| {
                $crate::semrob::fuzzing::$name(data);
            });
        }
    };
}
