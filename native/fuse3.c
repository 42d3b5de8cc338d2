/*
 * fuse3-napi: realize's N-API binding to libfuse3 (low-level API).
 *
 * This first part links against libfuse3 and exposes what the rest of realize needs to know
 * before it mounts anything: the libfuse version it was built with and the one it runs with,
 * and whether /dev/fuse can be opened. The low-level session (lookup, getattr, read, …
 * forwarded to JavaScript with asynchronous replies) is added by the mount work.
 */
#define FUSE_USE_VERSION 35
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, NULL, "fuse3-napi: " #call " failed");            \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

/* version(): {built: "3.14", runtime: "3.14", runtimeNumber: 314} */
static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, built, runtime, number;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, fuse_pkgversion(),
                                NAPI_AUTO_LENGTH, &runtime));
  char built_text[16];
  snprintf(built_text, sizeof built_text, "%d.%d", FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION);
  CHECK(napi_create_string_utf8(env, built_text, NAPI_AUTO_LENGTH, &built));
  CHECK(napi_create_int32(env, fuse_version(), &number));
  CHECK(napi_set_named_property(env, out, "built", built));
  CHECK(napi_set_named_property(env, out, "runtime", runtime));
  CHECK(napi_set_named_property(env, out, "runtimeNumber", number));
  return out;
}

/* deviceStatus(): "ok" when /dev/fuse opens read-write, else the errno text. */
static napi_value device_status(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  const char *text = "ok";
  if (fd < 0) text = strerror(errno);
  else close(fd);
  CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"version", NULL, version, NULL, NULL, NULL, napi_default, NULL},
      {"deviceStatus", NULL, device_status, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
