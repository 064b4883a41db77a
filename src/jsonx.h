/*
 * jsonx.h - typed json-c getters and a bounded parser.
 */
#ifndef DS_JSONX_H
#define DS_JSONX_H

#include <stddef.h>

#include <json-c/json.h>

#include "rc.h"

enum jsonx_get {
    JSONX_OK = 0,
    JSONX_MISSING,      /* key absent or JSON null */
    JSONX_TYPE          /* present with another type */
};

/*
 * Parse exactly len bytes as one JSON value nested at most max_depth
 * deep; trailing bytes other than white space are an error. Returns a
 * new reference (json_object_put it) or NULL. Embedded NULs fail.
 */
json_object *jsonx_parse(const char *s, size_t len, int max_depth);

/* Borrowed pointers into obj; valid while obj lives. */
enum jsonx_get jsonx_string(json_object *obj, const char *key,
    const char **out);
enum jsonx_get jsonx_bool(json_object *obj, const char *key, int *out);
enum jsonx_get jsonx_array(json_object *obj, const char *key,
    json_object **out);
enum jsonx_get jsonx_object(json_object *obj, const char *key,
    json_object **out);

/* The compact text of obj, in a string the caller frees. */
char *jsonx_dump(json_object *obj);

#endif
