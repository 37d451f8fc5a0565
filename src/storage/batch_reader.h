// Reads a log's batches in order, for what replays a partition into memory (the metadata image,
// the group coordinator): each whole batch from a start offset up to a limit, in memory.
#pragma once

#include <cstdint>
#include <functional>

#include "common/status.h"
#include "record/record_batch.h"
#include "storage/log.h"

namespace gregor::storage {

// Calls visit with every v2 batch that ends at or after from_offset, up to the limit, in order.
// read_bytes is how much one read asks for (a larger batch is still read whole). A batch that
// does not parse stops the read with CORRUPT_MESSAGE; visit's failure stops it with that.
Status for_each_batch(Log& log, int64_t from_offset, ReadLimit limit, uint32_t read_bytes,
                      const std::function<Status(const record::RecordBatchView&)>& visit);

// One read of for_each_batch, for a replay that yields between reads: visits the batches of a
// single read_bytes read from from_offset and returns the offset to go on from, which is the
// limit's end once everything is read.
StatusOr<int64_t> for_each_batch_step(Log& log, int64_t from_offset, ReadLimit limit, uint32_t read_bytes,
                                      const std::function<Status(const record::RecordBatchView&)>& visit);

}  // namespace gregor::storage
