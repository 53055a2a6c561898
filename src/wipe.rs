//! Memory hygiene for the WebAssembly build, where every byte of the module's memory is one
//! `ArrayBuffer` that any script holding the module can read, and freed memory is handed out again
//! unwiped.
//!
//! Two measures cover what the zeroizing types cannot reach (temporaries inside the crates we use:
//! a hash's message schedule, a bignum's Montgomery form, wasm-bindgen's string buffers):
//! - [`WipingAllocator`], the global allocator in wasm32 builds, overwrites every block when it is
//!   freed or moved by `realloc`;
//! - [`scrub_stack`] overwrites the stack below the caller after each call that handled a secret,
//!   where the callees' frames were.
//!
//! Native builds (the server, the CLI) keep the platform allocator: their processes' memory is not
//! exposed to other code the way a page's wasm memory is.

/// How much of the stack below the caller [`scrub_stack`] overwrites. The deepest call that
/// handles secrets (RSA with SHA-256 OAEP) uses a few kilobytes; the memory tests check this.
const SCRUB_BYTES: usize = 32 * 1024;

/// Runs `f` in a frame of its own below the caller's, then scrubs the stack below the caller:
/// whatever `f` and its callees left on the stack (including values moved out of zeroizing
/// wrappers, which leave the bytes they were moved from behind) is overwritten.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn scrubbed<T>(f: impl FnOnce() -> T) -> T {
    let out = below(f);
    scrub_stack();
    out
}

#[inline(never)]
fn below<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Overwrites [`SCRUB_BYTES`] of stack below the caller's frame with zeros.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[inline(never)]
pub(crate) fn scrub_stack() {
    let mut area = [0u64; SCRUB_BYTES / 8];
    zeroize::Zeroize::zeroize(&mut area[..]);
    core::hint::black_box(&area);
}

/// A global allocator that zeroes each block before giving it back to the system allocator.
#[cfg(target_arch = "wasm32")]
pub(crate) struct WipingAllocator;

#[cfg(target_arch = "wasm32")]
// SAFETY: every method forwards to `System` with the layout it was given; the only addition is
// writing zeros into a block the caller owns and is giving up, which `dealloc`'s contract allows.
unsafe impl core::alloc::GlobalAlloc for WipingAllocator {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: core::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: core::alloc::Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes that the caller gives up.
        unsafe {
            wipe(ptr, layout.size());
            std::alloc::System.dealloc(ptr, layout);
        }
    }

    unsafe fn realloc(
        &self,
        ptr: *mut u8,
        layout: core::alloc::Layout,
        new_size: usize,
    ) -> *mut u8 {
        // Never let the system allocator move a block without wiping the old one: allocate,
        // copy, wipe, free.
        // SAFETY: `new_size` with `layout`'s alignment is valid (the `realloc` contract).
        let new_layout =
            unsafe { core::alloc::Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: forwarded allocation; on failure the old block stays untouched, as required.
        let new = unsafe { std::alloc::System.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live and distinct; the copy is within both sizes.
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

/// Zeroes a block about to be freed. A plain `memset` (one `memory.fill` in wasm) is far faster
/// than per-byte volatile writes on the allocator's hot path; `black_box` makes the optimiser
/// assume the zeros are read, so that it cannot drop them as dead stores before `dealloc`.
#[cfg(target_arch = "wasm32")]
unsafe fn wipe(ptr: *mut u8, len: usize) {
    // SAFETY: the caller owns `len` bytes at `ptr`.
    unsafe { core::ptr::write_bytes(ptr, 0, len) };
    core::hint::black_box(ptr);
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}
