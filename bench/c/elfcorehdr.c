/* The C anchor: builds the same elfcorehdr as crashplug's kernel builder for the 8192-CPU,
 * 8192-range bench machine (16386 program headers, 921600-byte buffer) into a reused, zeroed buffer,
 * as crash_prepare_elf64_headers does. Prints the median ns of one build over argv[1] builds. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NCPU 8192
#define NRANGES 8192
static uint64_t rs[NRANGES], re_[NRANGES];
static unsigned char buf[921600];
static double ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

static void build(void) {
  memset(buf, 0, sizeof buf);
  Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
  memcpy(e->e_ident, ELFMAG, SELFMAG);
  e->e_ident[EI_CLASS] = ELFCLASS64; e->e_ident[EI_DATA] = ELFDATA2LSB; e->e_ident[EI_VERSION] = EV_CURRENT;
  e->e_type = ET_CORE; e->e_machine = EM_X86_64; e->e_version = EV_CURRENT; e->e_phoff = sizeof(Elf64_Ehdr);
  e->e_ehsize = sizeof(Elf64_Ehdr); e->e_phentsize = sizeof(Elf64_Phdr);
  Elf64_Phdr *p = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
  for (int c = 0; c < NCPU; c++, p++) {
    uint64_t a = 0xbfc1a600ull + (uint64_t)c * 0x100000ull;
    p->p_type = PT_NOTE; p->p_offset = p->p_paddr = a; p->p_filesz = p->p_memsz = 0x150;
  }
  p->p_type = PT_NOTE; p->p_offset = p->p_paddr = 0xbe31a000ull; p->p_filesz = p->p_memsz = 0x1024; p++;
  p->p_type = PT_LOAD; p->p_flags = PF_R | PF_W | PF_X; p->p_vaddr = 0xffffffff81000000ull; p->p_offset = p->p_paddr = 0x1000000ull;
  p->p_filesz = p->p_memsz = 0xe00000; p++;
  for (int i = 0; i < NRANGES; i++, p++) {
    p->p_type = PT_LOAD; p->p_flags = PF_R | PF_W | PF_X; p->p_offset = p->p_paddr = rs[i];
    p->p_vaddr = rs[i] + 0xffff888000000000ull; p->p_filesz = p->p_memsz = re_[i] - rs[i] + 1;
  }
  e->e_phnum = (Elf64_Half)(NCPU + 2 + NRANGES);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  rs[0] = 0x100000; re_[0] = 0x1ffffff; rs[1] = 0x12000000; re_[1] = 0xbfffffff;
  for (int i = 2; i < NRANGES; i++) { rs[i] = 0x100000000ull + (uint64_t)(i - 2) * 0x10000000ull; re_[i] = rs[i] + 0x8000000ull - 1; }
  double *t = malloc(sizeof(double) * n);
  for (int i = 0; i < n; i++) { double t0 = ns(); build(); t[i] = ns() - t0; }
  qsort(t, n, sizeof(double), cmp);
  unsigned sum = 0; for (size_t i = 0; i < sizeof buf; i += 4096) sum += buf[i + 7];
  printf("{\"medianNs\":%.0f,\"sink\":%u}\n", t[n / 2], sum);
  return 0;
}
