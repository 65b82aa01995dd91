/* 16550 UART, polled. keel shares the port with its guest; it only ever
 * writes, so the guest's receive path is untouched. */
#include "lib/serial.h"
#include "arch/x86/cpu.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20   /* holding register empty: can take a byte */
#define LSR_TEMT 0x40   /* transmitter empty: everything is on the wire */

static uint16_t uart = 0x3f8;

void serial_init(uint16_t port, uint32_t baud)
{
    uint32_t div = baud ? 115200 / baud : 1;
    if (div == 0)
        div = 1;
    uart = port;
    outb(uart + UART_IER, 0x00);
    outb(uart + UART_LCR, 0x80);             /* DLAB */
    outb(uart + 0, (uint8_t)div);
    outb(uart + 1, (uint8_t)(div >> 8));
    outb(uart + UART_LCR, 0x03);             /* 8N1 */
    outb(uart + UART_FCR, 0xC7);             /* FIFO on, cleared */
    outb(uart + UART_MCR, 0x03);             /* DTR, RTS */
}

uint16_t serial_port(void)
{
    return uart;
}

static void put_byte(char c)
{
    /* Bounded wait: a missing UART reads 0xff (THRE set) so this ends. */
    unsigned spins = 1u << 20;
    while (!(inb(uart + UART_LSR) & LSR_THRE) && --spins)
        ;
    outb(uart + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, unsigned long len)
{
    while (len--) {
        if (*s == '\n')
            put_byte('\r');
        put_byte(*s++);
    }
}

void serial_drain(void)
{
    unsigned spins = 1u << 22;
    while (!(inb(uart + UART_LSR) & LSR_TEMT) && --spins)
        ;
}

void debugcon_write(const char *s, unsigned long len)
{
    while (len--)
        outb(0xe9, (uint8_t)*s++);
}
