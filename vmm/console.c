/* The shared serial line: input filter, line arbiter, monitor line editor.
 * Design and rules in docs/console.md. Pure: the UART is struct console_hw. */
#include "vmm/console.h"
#include "lib/string.h"

/* keel's bytes: '\n' becomes "\r\n" on the wire (what serial_write does). */
static void wire(struct console *c, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] == '\n')
            c->hw->put('\r');
        c->hw->put((uint8_t)s[i]);
    }
    if (n)
        c->keel_open = s[n - 1] != '\n';
}

static void wire_str(struct console *c, const char *s)
{
    wire(c, s, strlen(s));
}

void console_settle(struct console *c)
{
    if (c->hw->settle)
        c->hw->settle();
}

void console_init(struct console *c, const struct console_hw *hw, bool monitor_enabled)
{
    memset(c, 0, sizeof(*c));
    c->hw = hw;
    c->monitor_enabled = monitor_enabled;
    c->out_watched = true;
}

void console_set_exec(struct console *c, console_exec_fn fn, void *ctx)
{
    c->exec = fn;
    c->exec_ctx = ctx;
}

static void flush_held_keel(struct console *c)
{
    if (!c->held_keel_len)
        return;
    wire(c, c->held_keel, c->held_keel_len);
    c->held_keel_len = 0;
}

/* Guest bytes kept while the prompt was open: written as they came (the
 * guest sends its own CR LF), tracking whether its line is left open. */
static void flush_held_guest(struct console *c)
{
    unsigned i;
    for (i = 0; i < c->held_guest_len; i++) {
        c->hw->put(c->held_guest[i]);
        c->guest_open = c->held_guest[i] != '\n';
    }
    c->held_guest_len = 0;
}

/* keel ends an open guest line itself (monitor entry, full buffers). */
static void break_guest_line(struct console *c)
{
    if (!c->guest_open && !c->guest_unknown)
        return;
    wire_str(c, "\n");
    c->guest_open = false;
    c->guest_unknown = false;   /* until the guest runs unwatched again */
    c->guest_breaks++;
}

static void show_prompt(struct console *c)
{
    wire_str(c, CONSOLE_PROMPT);
    wire(c, c->line, c->line_len);
    c->prompt_open = true;
}

static void close_prompt(struct console *c)
{
    if (!c->prompt_open)
        return;
    wire_str(c, "\n");
    c->prompt_open = false;
}

void console_keel_write(struct console *c, const char *s, size_t len)
{
    if (!len)
        return;
    if (c->finished) {
        wire(c, s, len);
        return;
    }
    if (c->guest_open || c->guest_unknown) {
        if (c->held_keel_len + len <= sizeof(c->held_keel)) {
            memcpy(c->held_keel + c->held_keel_len, s, len);
            c->held_keel_len += (unsigned)len;
            c->lines_held++;
            return;
        }
        break_guest_line(c);
        flush_held_keel(c);
    }
    if (c->prompt_open) {
        /* A line from elsewhere in keel (a watch line, a denial) while the
         * person is typing: it gets its own line, then the prompt again. */
        close_prompt(c);
        wire(c, s, len);
        show_prompt(c);
        c->prompt_redraws++;
        console_settle(c);
        return;
    }
    wire(c, s, len);
    console_settle(c);
}

void console_guest_write(struct console *c, uint8_t b)
{
    if (c->prompt_open) {
        if (c->held_guest_len == sizeof(c->held_guest)) {
            close_prompt(c);
            flush_held_guest(c);
            break_guest_line(c);
            show_prompt(c);
            c->prompt_redraws++;
            console_settle(c);
        }
        c->held_guest[c->held_guest_len++] = b;
        return;
    }
    c->hw->out(b);
    c->guest_wrote = true;
    c->guest_open = b != '\n';
    c->guest_unknown = false;   /* a byte seen: its line is open unless it was '\n' */
    if (b == '\n' && c->held_keel_len) {
        flush_held_keel(c);
        console_settle(c);
    }
}

void console_enter_monitor(struct console *c)
{
    c->in_monitor = true;
    c->ctrl_a = 0;
    c->line_len = 0;
    c->last_cr = false;
    break_guest_line(c);
    flush_held_keel(c);
    wire_str(c, "keel: monitor: input goes to keel now; Ctrl-A three times or 'quit' gives it back to the "
                "guest, 'help' lists the commands\n");
    show_prompt(c);
    console_settle(c);
}

void console_leave_monitor(struct console *c)
{
    close_prompt(c);
    c->in_monitor = false;
    c->ctrl_a = 0;
    c->line_len = 0;
    wire_str(c, "keel: monitor: input goes to the guest again\n");
    flush_held_guest(c);
    console_settle(c);
}

static void queue_for_guest(struct console *c, uint8_t b)
{
    if (c->rx_count == CONSOLE_RXQ) {
        c->rx_dropped++;
        return;
    }
    c->rxq[(c->rx_head + c->rx_count++) % CONSOLE_RXQ] = b;
}

static void run_line(struct console *c, struct vcpu *v)
{
    char cmd[CONSOLE_LINE];
    memcpy(cmd, c->line, c->line_len);
    cmd[c->line_len] = 0;
    c->line_len = 0;
    close_prompt(c);
    {   /* `quit` is the console's own: it routes input, it is not a query */
        const char *p = cmd, *e;
        while (*p == ' ')
            p++;
        for (e = p + strlen(p); e > p && e[-1] == ' '; e--)
            ;
        if (e - p == 4 && !strncmp(p, "quit", 4)) {
            console_leave_monitor(c);
            return;
        }
    }
    if (c->exec)
        c->exec(c->exec_ctx, v, cmd);
    if (!c->in_monitor)
        return;
    /* Guest output held while the prompt was open comes after the
     * command's output, and the prompt never continues a guest line. */
    flush_held_guest(c);
    break_guest_line(c);
    show_prompt(c);
    console_settle(c);
}

static void edit(struct console *c, struct vcpu *v, uint8_t b)
{
    bool after_cr = c->last_cr;
    c->last_cr = b == '\r';
    if (b == '\n' && after_cr)
        return;
    if (b == '\r' || b == '\n') {
        run_line(c, v);
        return;
    }
    if (b == 0x7f || b == 0x08) {
        if (c->line_len) {
            c->line_len--;
            wire_str(c, "\b \b");
        }
        return;
    }
    if (b == 0x03) {    /* Ctrl-C: forget the line */
        wire_str(c, "^C");
        c->line_len = 0;
        close_prompt(c);
        show_prompt(c);
        return;
    }
    if (b >= 0x20 && b < 0x7f && c->line_len < CONSOLE_LINE - 1) {
        c->line[c->line_len++] = (char)b;
        c->hw->put(b);
    }
}

void console_rx(struct console *c, struct vcpu *v, uint8_t b)
{
    if (!c->monitor_enabled) {
        queue_for_guest(c, b);
        return;
    }
    if (!c->in_monitor && c->last_cr) {
        /* The LF of the CR LF that ended `quit` is the monitor's too. */
        c->last_cr = false;
        if (b == '\n')
            return;
    }
    if (b == CONSOLE_SWITCH_CHAR) {
        if (++c->ctrl_a == 3) {
            c->ctrl_a = 0;
            if (c->in_monitor)
                console_leave_monitor(c);
            else
                console_enter_monitor(c);
        }
        return;
    }
    /* One or two switch characters and then something else: they were
     * the guest's (Xen's serial_rx does the same). */
    if (!c->in_monitor)
        for (; c->ctrl_a; c->ctrl_a--)
            queue_for_guest(c, CONSOLE_SWITCH_CHAR);
    c->ctrl_a = 0;
    if (c->in_monitor)
        edit(c, v, b);
    else
        queue_for_guest(c, b);
}

static void pull(struct console *c, struct vcpu *v, bool stop_at_leave)
{
    unsigned n;
    /* Bounded by a FIFO's worth per call; bytes stay in the chip while
     * the guest's queue is full. */
    for (n = 0; n < 16 && c->rx_count + 3 <= CONSOLE_RXQ; n++) {
        bool was = c->in_monitor;
        int b = c->hw->get();
        if (b < 0)
            break;
        console_rx(c, v, (uint8_t)b);
        if (stop_at_leave && was && !c->in_monitor)
            break;
    }
}

void console_pull(struct console *c, struct vcpu *v)
{
    pull(c, v, false);
}

void console_poll_rx(struct console *c, struct vcpu *v)
{
    pull(c, v, true);
}

#define LSR_DR 0x01

uint8_t console_guest_lsr(struct console *c, struct vcpu *v, uint8_t real_lsr)
{
    if (real_lsr & LSR_DR)
        console_pull(c, v);
    return (uint8_t)((real_lsr & ~LSR_DR) | (c->rx_count ? LSR_DR : 0));
}

uint8_t console_guest_rbr(struct console *c, struct vcpu *v)
{
    uint8_t b;
    console_pull(c, v);
    if (!c->rx_count)
        return 0;       /* read without Data Ready: what an empty 16550 gives is undefined */
    b = c->rxq[c->rx_head];
    c->rx_head = (c->rx_head + 1) % CONSOLE_RXQ;
    c->rx_count--;
    return b;
}

void console_set_watched(struct console *c, bool on)
{
    c->out_watched = on;
    if (!on)
        c->guest_unknown = true;
    c->guest_wrote = false;
}

void console_tick(struct console *c)
{
    if (c->held_keel_len && c->guest_unknown && c->out_watched && !c->guest_wrote) {
        flush_held_keel(c);
        console_settle(c);
    }
    c->guest_wrote = false;
}

void console_finish(struct console *c)
{
    close_prompt(c);
    flush_held_guest(c);
    if (c->guest_open)
        break_guest_line(c);
    flush_held_keel(c);
    c->finished = true;
    console_settle(c);
}
