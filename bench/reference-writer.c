/*
 * The least work a crash-safe writer of small objects does, as a yardstick for small-files.sh:
 * for every file it reads the source, checks whether the object exists, compresses it into one
 * reused zlib stream, writes a temporary file in data/txn and renames it into data/XX. It does
 * less than a publish must: no digest (objects are named by their index), no catalog rows, no
 * directory entries. Its rate on a machine bounds what any writer of that layout gets there.
 *
 *   reference-writer OUT THREADS LEVEL < list     (list: NUL-separated file paths)
 *
 * LEVEL 0 stores the bytes as they are. Prints "files seconds".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_THREADS 256
#define MAX_FILE 65536

static char **paths;
static size_t count;
static int threads;
static int level;
static const char *out;

// fail: a failed system call, with its errno; fail_plain: anything else.
static void fail(const char *what, const char *path) {
  fprintf(stderr, "reference-writer: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static void fail_plain(const char *what, const char *path) {
  fprintf(stderr, "reference-writer: %s %s\n", what, path);
  exit(1);
}

static void *write_share(void *arg) {
  long self = (long) arg;
  static __thread unsigned char in[MAX_FILE];
  static __thread unsigned char packed[MAX_FILE + 1024];
  char temp[4096];
  char target[4096];
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (level > 0 && deflateInit(&zs, level) != Z_OK) {
    fail_plain("deflateInit failed", "");
  }
  for (size_t i = self; i < count; i += threads) {
    int fd = open(paths[i], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      fail("cannot read", paths[i]);
    }
    if (st.st_size > MAX_FILE) {
      fail_plain("larger than 64 KiB:", paths[i]);
    }
    ssize_t n = read(fd, in, st.st_size);
    if (n < 0) {
      fail("cannot read", paths[i]);
    }
    if (n != st.st_size) {
      fail_plain("short read of", paths[i]);
    }
    close(fd);
    const unsigned char *bytes = in;
    size_t length = (size_t) n;
    if (level > 0) {
      deflateReset(&zs);
      zs.next_in = in;
      zs.avail_in = (uInt) n;
      zs.next_out = packed;
      zs.avail_out = sizeof packed;
      if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        fail_plain("deflate failed on", paths[i]);
      }
      bytes = packed;
      length = sizeof packed - zs.avail_out;
    }
    snprintf(target, sizeof target, "%s/data/%02zx/%016zx", out, i % 256, i);
    if (stat(target, &st) == 0) {
      continue;
    }
    snprintf(temp, sizeof temp, "%s/data/txn/%zu", out, i);
    fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 || write(fd, bytes, length) != (ssize_t) length || close(fd) != 0) {
      fail("cannot write", temp);
    }
    if (rename(temp, target) != 0) {
      fail("cannot rename", temp);
    }
  }
  if (level > 0) {
    deflateEnd(&zs);
  }
  return NULL;
}

static void make_directory(const char *path) {
  if (mkdir(path, 0755) != 0 && errno != EEXIST) {
    fail("cannot create", path);
  }
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: reference-writer OUT THREADS LEVEL < NUL-separated paths\n");
    return 2;
  }
  out = argv[1];
  threads = atoi(argv[2]);
  level = atoi(argv[3]);
  if (threads < 1 || threads > MAX_THREADS || level < 0 || level > 9) {
    fprintf(stderr, "reference-writer: THREADS must be 1-%d and LEVEL 0-9\n", MAX_THREADS);
    return 2;
  }
  size_t capacity = 1024;
  paths = malloc(capacity * sizeof *paths);
  char *line = NULL;
  size_t size = 0;
  while (getdelim(&line, &size, '\0', stdin) > 0) {
    if (count == capacity) {
      capacity *= 2;
      paths = realloc(paths, capacity * sizeof *paths);
    }
    paths[count++] = strdup(line);
  }
  char dir[4096];
  make_directory(out);
  snprintf(dir, sizeof dir, "%s/data", out);
  make_directory(dir);
  snprintf(dir, sizeof dir, "%s/data/txn", out);
  make_directory(dir);
  for (int i = 0; i < 256; i++) {
    snprintf(dir, sizeof dir, "%s/data/%02x", out, i);
    make_directory(dir);
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pthread_t pool[MAX_THREADS];
  for (long t = 0; t < threads; t++) {
    pthread_create(&pool[t], NULL, write_share, (void *) t);
  }
  for (int t = 0; t < threads; t++) {
    pthread_join(pool[t], NULL);
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  printf("%zu %.3f\n", count, (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
  return 0;
}
