/* The 16550 UART keel's console uses (polled), and the port 0xE9 debug
 * console. Hardware code: lib/ stays free of port I/O. */
#ifndef KEEL_ARCH_X86_UART_H
#define KEEL_ARCH_X86_UART_H
#include <stdint.h>
#include <stdbool.h>

/* 16550 register offsets from the base port and the bits keel uses
 * (PC16550D data sheet, "Register Description"). */
#define UART_RBR 0      /* read, DLAB=0: receiver buffer */
#define UART_THR 0      /* write, DLAB=0: transmitter holding */
#define UART_IER 1
#define UART_IIR 2      /* read */
#define UART_FCR 2      /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LCR_DLAB 0x80
#define UART_IER_RDI 0x01   /* receive-data interrupt enabled */
#define UART_LSR_DR 0x01    /* a received byte is waiting */
#define UART_LSR_THRE 0x20  /* holding register (FIFO) empty: can take bytes */
#define UART_LSR_TEMT 0x40  /* transmitter empty: everything is on the wire */

void serial_init(uint16_t port, uint32_t baud);
void serial_write(const char *s, unsigned long len);   /* console sink; '\n' -> "\r\n" */
void serial_drain(void);                               /* wait until the transmitter is empty */
uint16_t serial_port(void);
uint32_t serial_baud(void);

/* Byte level, for the shared line (vmm/console.c). serial_put waits for
 * room (bounded); serial_get returns -1 when nothing was received. While
 * the guest has DLAB set (LCR shadow given by serial_set_guest_lcr) keel's
 * own bytes clear it around the write so they do not land in the divisor. */
void serial_put(uint8_t c);
int serial_get(void);
uint8_t serial_in(unsigned reg);
void serial_out(unsigned reg, uint8_t val);
void serial_set_guest_lcr(uint8_t lcr);

void debugcon_write(const char *s, unsigned long len); /* port 0xE9 sink */

#endif
