/* 16550 UART console (polled). */
#ifndef KEEL_LIB_SERIAL_H
#define KEEL_LIB_SERIAL_H
#include <stdint.h>

void serial_init(uint16_t port, uint32_t baud);
void serial_write(const char *s, unsigned long len);   /* console sink; '\n' -> "\r\n" */
void serial_drain(void);                               /* wait until the transmitter is empty */
uint16_t serial_port(void);
void debugcon_write(const char *s, unsigned long len); /* port 0xE9 sink */

#endif
