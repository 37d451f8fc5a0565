#include "gregor/errors.h"

#include "common/error_code.h"

namespace gregor {

ApiException::ApiException(int16_t code, const std::string& message)
    : KafkaException(message.empty() ? std::string(error_message(static_cast<ErrorCode>(code))) : message),
      code_(code),
      name_(error_name(static_cast<ErrorCode>(code))) {}

bool ApiException::retriable() const { return is_retriable(static_cast<ErrorCode>(code_)); }

}  // namespace gregor
