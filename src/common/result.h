// A decoded value, or the DecodeError saying why there is none.
#pragma once

#include "common/decode_error.h"
#include "common/value_or.h"

namespace gregor {

template <typename T>
class Result : public ValueOr<T, DecodeError> {
 public:
  using ValueOr<T, DecodeError>::ValueOr;

  // Only when !ok().
  const DecodeError& error() const { return this->failure(); }
};

}  // namespace gregor
