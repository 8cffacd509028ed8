// libtls_mod.so: a library with thread-local state of both kinds, loaded
// by tls_cases with dlopen after its threads exist (case dlopen_tls).
#include <atomic>
#include <cstring>

static __thread int plain = 7;           // an initial value from the image
static __thread char tag[24];            // zero-filled (.tbss)
static std::atomic<int> built, destroyed;

struct obj {
    int id = 1000;
    obj() { built++; }
    ~obj() { destroyed++; }
};
static thread_local obj tl;              // constructed on first use

extern "C" int mod_swap(int v, const char *name)
{
    int old = plain + (tag[0] ? 1 : 0);  // 7 for a thread that is new here
    plain = v;
    std::strncpy(tag, name, sizeof tag - 1);
    return old;
}

extern "C" int mod_check(int v, const char *name)
{
    return plain == v && !std::strcmp(tag, name) && tl.id == 1000;
}

extern "C" int mod_built() { return built; }
extern "C" int mod_destroyed() { return destroyed; }
