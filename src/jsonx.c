/*
 * jsonx.c - typed json-c getters and a bounded parser.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

json_object *
jsonx_parse(const char *s, size_t len, int max_depth)
{
    json_tokener  *tok;
    json_object   *obj;
    size_t         off;

    if (len > (size_t) 0x7fffffff || memchr(s, '\0', len) != NULL) {
        return NULL;
    }
    tok = json_tokener_new_ex(max_depth);
    if (tok == NULL) {
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, s, (int) len);
    off = json_tokener_get_parse_end(tok);
    if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
        /* A number or literal at the very end waits for a delimiter. */
        obj = json_tokener_parse_ex(tok, " ", 1);
        off = len;
    }
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(obj);
        json_tokener_free(tok);
        return NULL;
    }
    json_tokener_free(tok);

    for (; off < len; off++) {
        if (strchr(" \t\r\n", s[off]) == NULL) {
            json_object_put(obj);
            return NULL;
        }
    }
    return obj;
}

static enum jsonx_get
jsonx_typed(json_object *obj, const char *key, json_type type,
    json_object **out)
{
    json_object  *v;

    *out = NULL;
    if (obj == NULL || !json_object_is_type(obj, json_type_object)
        || !json_object_object_get_ex(obj, key, &v) || v == NULL)
    {
        return JSONX_MISSING;
    }
    if (!json_object_is_type(v, type)) {
        return JSONX_TYPE;
    }
    *out = v;
    return JSONX_OK;
}

enum jsonx_get
jsonx_string(json_object *obj, const char *key, const char **out)
{
    json_object     *v;
    enum jsonx_get   g;

    *out = NULL;
    g = jsonx_typed(obj, key, json_type_string, &v);
    if (g == JSONX_OK) {
        *out = json_object_get_string(v);
    }
    return g;
}

enum jsonx_get
jsonx_bool(json_object *obj, const char *key, int *out)
{
    json_object     *v;
    enum jsonx_get   g;

    *out = 0;
    g = jsonx_typed(obj, key, json_type_boolean, &v);
    if (g == JSONX_OK) {
        *out = json_object_get_boolean(v) ? 1 : 0;
    }
    return g;
}

enum jsonx_get
jsonx_array(json_object *obj, const char *key, json_object **out)
{
    return jsonx_typed(obj, key, json_type_array, out);
}

enum jsonx_get
jsonx_object(json_object *obj, const char *key, json_object **out)
{
    return jsonx_typed(obj, key, json_type_object, out);
}

char *
jsonx_dump(json_object *obj)
{
    const char  *s;

    s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN
                                       | JSON_C_TO_STRING_NOSLASHESCAPE);
    return s != NULL ? strdup(s) : NULL;
}
