// What the admin client's tests share.
#pragma once

#include "gregor/admin.h"

namespace gregor::testing {

// The Kafka error code an item failed with: 0 for success, -2 for an error that is not an
// ApiException (a timeout, a client-side error).
template <typename T>
int16_t code_of(const AdminResult<T>& r) {
  try {
    r.get();
  } catch (const ApiException& e) {
    return e.code();
  } catch (...) {
    return -2;
  }
  return 0;
}

}  // namespace gregor::testing
