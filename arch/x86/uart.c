/* 16550 UART, polled. keel shares the port with its guest (vmm/console.c
 * decides who owns which byte; docs/console.md). */
#include "arch/x86/uart.h"
#include "arch/x86/cpu.h"

static uint16_t uart = 0x3f8;
static uint32_t uart_baud = 115200;
static uint8_t guest_lcr = 0x03;

void serial_init(uint16_t port, uint32_t baud)
{
    uint32_t div = baud ? 115200 / baud : 1;
    if (div == 0)
        div = 1;
    uart = port;
    uart_baud = 115200 / div;
    outb(uart + UART_IER, 0x00);
    outb(uart + UART_LCR, UART_LCR_DLAB);
    outb(uart + 0, (uint8_t)div);
    outb(uart + 1, (uint8_t)(div >> 8));
    outb(uart + UART_LCR, 0x03);             /* 8N1 */
    outb(uart + UART_FCR, 0xC7);             /* FIFO on, cleared */
    outb(uart + UART_MCR, 0x03);             /* DTR, RTS */
    guest_lcr = 0x03;
}

uint16_t serial_port(void)
{
    return uart;
}

uint32_t serial_baud(void)
{
    return uart_baud;
}

uint8_t serial_in(unsigned reg)
{
    return inb((uint16_t)(uart + reg));
}

void serial_out(unsigned reg, uint8_t val)
{
    outb((uint16_t)(uart + reg), val);
}

void serial_set_guest_lcr(uint8_t lcr)
{
    guest_lcr = lcr;
}

static void put_byte(char c)
{
    /* Bounded wait: a missing UART reads 0xff (THRE set) so this ends. */
    unsigned spins = 1u << 20;
    while (!(inb(uart + UART_LSR) & UART_LSR_THRE) && --spins)
        ;
    outb(uart + UART_THR, (uint8_t)c);
}

void serial_put(uint8_t c)
{
    if (guest_lcr & UART_LCR_DLAB) {
        outb(uart + UART_LCR, guest_lcr & (uint8_t)~UART_LCR_DLAB);
        put_byte((char)c);
        outb(uart + UART_LCR, guest_lcr);
        return;
    }
    put_byte((char)c);
}

int serial_get(void)
{
    if (guest_lcr & UART_LCR_DLAB)
        return -1;          /* RBR is the divisor latch right now */
    if (!(inb(uart + UART_LSR) & UART_LSR_DR))
        return -1;
    return inb(uart + UART_RBR);
}

void serial_write(const char *s, unsigned long len)
{
    while (len--) {
        if (*s == '\n')
            serial_put('\r');
        serial_put((uint8_t)*s++);
    }
}

void serial_drain(void)
{
    unsigned spins = 1u << 22;
    while (!(inb(uart + UART_LSR) & UART_LSR_TEMT) && --spins)
        ;
}

void debugcon_write(const char *s, unsigned long len)
{
    while (len--)
        outb(0xe9, (uint8_t)*s++);
}
