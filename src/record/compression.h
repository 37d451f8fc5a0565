// The record-batch compression codecs, with the framings Kafka uses on the wire.
//
//   gzip    a gzip stream (RFC 1952) from zlib; concatenated members are accepted on read.
//   snappy  written in the xerial/snappy-java framing Kafka's Java client uses: the 8-byte magic
//           82 'S' 'N' 'A' 'P' 'P' 'Y' 00, int32 version 1, int32 compatible version 1, then
//           blocks of (int32 big-endian compressed length, raw snappy block) of at most 32 KiB
//           input each. Read: that framing, or a single raw snappy block (librdkafka writes
//           those).
//   lz4     the LZ4 frame format with independent 64 KiB blocks and no content checksum or
//           size, which is what Kafka's own LZ4 reader accepts. Magic-0 message sets carry
//           frames whose header checksum was computed wrongly; decompress_lz4_legacy_v0 reads
//           those.
//   zstd    zstd frames; read by streaming, since producers may omit the content size.
//
// Decompression takes the caller's bound on the output: data that would inflate past it fails
// with an error rather than growing the buffer, so a small hostile input cannot force a large
// allocation. Nothing here throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/decode_error.h"

namespace gregor::record {

enum class Compression : int8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

const char* compression_name(Compression codec);

// Appends the compressed form of input to out. Returns an error message, or nullopt on success.
[[nodiscard]] std::optional<std::string> compress(Compression codec, BytesView input, Bytes& out);

// Appends the decompressed form of input to out. Fails once the output would exceed max_output
// bytes; out never grows by more than max_output + 1 bytes (the extra byte detects overflow).
// Error offsets are positions in input, where the codec reports them. Returns nullopt on success.
[[nodiscard]] std::optional<DecodeError> decompress(Compression codec, BytesView input, size_t max_output,
                                                    Bytes& out);

// LZ4 as magic-0 producers wrote it: their frame-descriptor checksum covered the 4 magic bytes
// too. Kafka ignores that checksum for magic 0; so does this (it accepts correct ones as well).
[[nodiscard]] std::optional<DecodeError> decompress_lz4_legacy_v0(BytesView input, size_t max_output,
                                                                  Bytes& out);

}  // namespace gregor::record
