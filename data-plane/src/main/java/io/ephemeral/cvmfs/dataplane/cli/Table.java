package io.ephemeral.cvmfs.dataplane.cli;

import java.util.List;

/** Rows of text in columns padded to their widest cell. */
final class Table {

  private Table() {}

  static String format(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        out.append(i == columns - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      out.append('\n');
    }
    return out.toString();
  }
}
