#include "common/error_code.h"

#include "common/status.h"

namespace gregor {

std::string_view error_name(ErrorCode code) {
  switch (code) {
#define GREGOR_ERROR_NAME(name, text) \
  case ErrorCode::name:               \
    return text;
    GREGOR_ERROR_NAME(unknown_server_error, "UNKNOWN_SERVER_ERROR")
    GREGOR_ERROR_NAME(none, "NONE")
    GREGOR_ERROR_NAME(offset_out_of_range, "OFFSET_OUT_OF_RANGE")
    GREGOR_ERROR_NAME(corrupt_message, "CORRUPT_MESSAGE")
    GREGOR_ERROR_NAME(unknown_topic_or_partition, "UNKNOWN_TOPIC_OR_PARTITION")
    GREGOR_ERROR_NAME(message_too_large, "MESSAGE_TOO_LARGE")
    GREGOR_ERROR_NAME(record_list_too_large, "RECORD_LIST_TOO_LARGE")
    GREGOR_ERROR_NAME(invalid_timestamp, "INVALID_TIMESTAMP")
    GREGOR_ERROR_NAME(invalid_config, "INVALID_CONFIG")
    GREGOR_ERROR_NAME(invalid_request, "INVALID_REQUEST")
    GREGOR_ERROR_NAME(unsupported_for_message_format, "UNSUPPORTED_FOR_MESSAGE_FORMAT")
    GREGOR_ERROR_NAME(kafka_storage_error, "KAFKA_STORAGE_ERROR")
    GREGOR_ERROR_NAME(log_dir_not_found, "LOG_DIR_NOT_FOUND")
    GREGOR_ERROR_NAME(invalid_record, "INVALID_RECORD")
    GREGOR_ERROR_NAME(offset_not_available, "OFFSET_NOT_AVAILABLE")
    GREGOR_ERROR_NAME(invalid_topic_exception, "INVALID_TOPIC_EXCEPTION")
#undef GREGOR_ERROR_NAME
    default:
      return "UNKNOWN_ERROR_CODE";
  }
}

std::string Status::to_string() const {
  std::string s(error_name(code_));
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

}  // namespace gregor
