/* The serial line keel shares with its guest (docs/console.md): the input
 * filter (Ctrl-A three times switches input between the guest and keel's
 * monitor), the line arbiter (guest and keel lines never split each
 * other) and the monitor's line editor. Pure: the UART is reached through
 * struct console_hw, so host unit tests drive it with a fake line. */
#ifndef KEEL_VMM_CONSOLE_H
#define KEEL_VMM_CONSOLE_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct vcpu;

#define CONSOLE_SWITCH_CHAR 0x01    /* Ctrl-A, Xen's switch code */
#define CONSOLE_RXQ 64              /* received bytes waiting for the guest */
#define CONSOLE_HELD_KEEL 2048      /* keel text held while a guest line is open */
#define CONSOLE_HELD_GUEST 4096     /* guest output held while the monitor prompt is open */
#define CONSOLE_LINE 120            /* monitor command line */
#define CONSOLE_PROMPT "keel> "

struct console_hw {
    void (*put)(uint8_t c);         /* one of keel's bytes on the wire (waits for room) */
    void (*out)(uint8_t c);         /* one guest byte to THR (the guest checked for room) */
    int (*get)(void);               /* a received byte, or -1 */
    void (*settle)(void);           /* wait until keel's bytes have left the FIFO */
};

/* Runs a monitor command line (NUL-terminated, may be modified). */
typedef void (*console_exec_fn)(void *ctx, struct vcpu *v, char *line);

struct console {
    const struct console_hw *hw;
    console_exec_fn exec;
    void *exec_ctx;
    bool monitor_enabled;
    bool in_monitor;
    uint8_t ctrl_a;                 /* consecutive switch characters seen */
    bool last_cr;                   /* swallow the LF of a CR LF */
    /* Input for the guest (filtered). */
    uint8_t rxq[CONSOLE_RXQ];
    unsigned rx_head, rx_count;
    uint64_t rx_dropped;
    /* Line ownership. */
    bool guest_open;                /* the guest's last byte was not '\n' */
    bool prompt_open;               /* the monitor's prompt line is on the wire */
    bool keel_open;                 /* keel text without its '\n' yet (kprintf) */
    /* keel sees guest output only while it intercepts THR (console_set_
     * watched). Otherwise guest_unknown: a line may be open, so keel text
     * waits for the guest's next '\n' once watched again, or for a poll
     * period in which the guest wrote nothing (console_tick). */
    bool out_watched;
    bool guest_unknown;
    bool guest_wrote;               /* a guest byte since the last console_tick */
    bool finished;                  /* keel is stopping: its text goes straight out */
    char held_keel[CONSOLE_HELD_KEEL];
    unsigned held_keel_len;
    uint8_t held_guest[CONSOLE_HELD_GUEST];
    unsigned held_guest_len;
    uint64_t lines_held, guest_breaks, prompt_redraws;
    /* Monitor line editor. */
    char line[CONSOLE_LINE];
    unsigned line_len;
};

void console_init(struct console *c, const struct console_hw *hw, bool monitor_enabled);
void console_set_exec(struct console *c, console_exec_fn fn, void *ctx);

/* keel's own output (the klog sink): whole lines, held while a guest line
 * or the prompt is open. */
void console_keel_write(struct console *c, const char *s, size_t len);
/* A byte the guest wrote to THR. */
void console_guest_write(struct console *c, uint8_t b);

/* A byte received on the line: through the filter to the guest or the
 * monitor. v is the vCPU in whose exit this runs (monitor commands). */
void console_rx(struct console *c, struct vcpu *v, uint8_t b);
/* Pull what the UART has received through console_rx (bounded). */
void console_pull(struct console *c, struct vcpu *v);
/* The same from keel's poll (the guest is not reading): it stops at the
 * byte that gives input back to the guest, so what follows stays in the
 * chip and raises the chip's interrupt for a listening guest. Pulled into
 * keel's queue instead, it would wait there for a guest that found no
 * interrupt pending (IIR is not intercepted) and so never reads LSR. */
void console_poll_rx(struct console *c, struct vcpu *v);

/* The guest's view of the receive side. */
uint8_t console_guest_lsr(struct console *c, struct vcpu *v, uint8_t real_lsr);
uint8_t console_guest_rbr(struct console *c, struct vcpu *v);

/* Monitor mode switches (also used by `quit`). */
void console_enter_monitor(struct console *c);
void console_leave_monitor(struct console *c);

/* The glue intercepts guest output (THR) from now on, or stops doing so. */
void console_set_watched(struct console *c, bool on);
/* Once per poll period: keel text held while the guest's line state was
 * unknown goes out if the guest wrote nothing for the whole period. */
void console_tick(struct console *c);

/* keel is about to stop: end open lines, write everything held; from now
 * on keel's text goes straight to the wire. */
void console_finish(struct console *c);

/* End of a burst of keel output: let the FIFO empty before the guest runs. */
void console_settle(struct console *c);

/* ---- keel's instance (vmm/console_port.c) ---------------------------------- */

/* A sampled exit found the line's poll due (struct console_port.poll_deadline). */
void console_poll(struct vcpu *v, uint64_t tsc);

#endif
