#!/bin/bash
echo make
