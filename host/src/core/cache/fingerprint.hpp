// Fingerprints that tie a cached kernel file to what it was computed from (kernel_file.hpp):
// 64-bit hashes of the inputs' bytes and of an architecture's canonical description.
//
// Not cryptographic: they guard against using a kernel of other data or another network by
// mistake (a changed pixel, another w_std), not against a forger. Every bit of the data counts,
// including its shape and kind: the same numbers read as 28 × 28 images or as vectors differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ntk/sdk/inputs.hpp"

namespace ntk::core::cache {

// A hash of `size` bytes, 8 bytes a step in four independent lanes (memory speed on large
// inputs), finished by a full-avalanche mix; `seed` separates uses.
std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed = 0);

std::uint64_t fingerprint(const std::string& text);

// Kind, sizes, image shape and every value (dense and image matrices; graphs: each graph's
// adjacency and feature matrices, sizes, non-zero positions and values).
std::uint64_t fingerprint(const sdk::Inputs& inputs);

// "0x…" with 16 hex digits, for messages and file headers.
std::string hex(std::uint64_t value);

}  // namespace ntk::core::cache
